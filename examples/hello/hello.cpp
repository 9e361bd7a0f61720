// The smallest complete tasker program: one template, two handlers, one task, run on the
// embedded in-memory backend. Usage: tasker-hello [path/to/hello.yaml] [name]
#include <tasker/tasker.hpp>

#include <cctype>
#include <iostream>
#include <string>

int main(int argc, char** argv)
{
    const std::string file = argc > 1 ? argv[1] : TASKER_HELLO_YAML;
    const std::string name = argc > 2 ? argv[2] : "world";

    tasker::inmemory::runtime rt;
    rt.handlers().add("hello.greet", [](tasker::step_context& ctx) {
        return tasker::success({{"text", "hello " + std::string(ctx.context().at("name").as_string())}});
    });
    rt.handlers().add("hello.shout", [](tasker::step_context& ctx) {
        std::string text(ctx.result_of("greet")->at("text").as_string());
        for (auto& c : text)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return tasker::success({{"text", text}});
    });

    if (auto t = rt.load_template_file(file); !t) {
        std::cerr << t.error() << "\n";
        return 1;
    }
    if (auto ok = rt.start(); !ok) {
        std::cerr << ok.error() << "\n";
        return 1;
    }
    auto created = rt.submit({{"examples", "hello", std::nullopt}, {{"name", name}}});
    if (!created) { // e.g. an empty name fails the input schema
        std::cerr << created.error() << "\n";
        return 1;
    }
    auto task = rt.wait(created->id, std::chrono::seconds(10)).value();
    std::cout << tasker::format_timeline(task);
    std::cout << "result: " << *task.step("shout")->result << "\n";
    return task.state == tasker::task_state::complete ? 0 : 1;
}
