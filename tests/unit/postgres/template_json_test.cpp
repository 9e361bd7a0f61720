// How tasker::postgres keeps a template in tasker.templates: in its YAML format written as
// JSON, read back by the template reader. What the step types this version does not run carry
// (batch_config) must survive too, although such a template does not load yet: checked through
// the reading that `load_template` validates.
#include "template_json.hpp"

#include <tasker/model/detail/template_text.hpp>
#include <tasker/model/template_registry.hpp>

#include "support/catch.hpp"

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tasker;

namespace {

task_template read(std::string_view text)
{
    auto r = detail::read_template_text(text);
    REQUIRE(r);
    INFO(text);
    CHECK(r->problems.empty());
    return r->tmpl;
}

std::string corpus(const std::string& file)
{
    std::ifstream in(std::filesystem::path(TASKER_TEST_DATA_DIR) / "tasker_core_templates" / file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("template json: batch_config, step lifecycle and handler details are written and read back",
          "[unit][postgres]")
{
    const auto written = read(corpus("inventory_batches.yaml"));
    const auto back = read(json::serialize(postgres::detail::definition_json(written)));
    REQUIRE(back.steps.size() == written.steps.size());
    for (std::size_t i = 0; i < written.steps.size(); ++i) {
        INFO(written.steps[i].name);
        CHECK(back.steps[i].type == written.steps[i].type);
        CHECK(back.steps[i].batch == written.steps[i].batch);
        CHECK(back.steps[i].lifecycle == written.steps[i].lifecycle);
        CHECK(back.steps[i].retry == written.steps[i].retry);
        CHECK(back.steps[i].dependencies == written.steps[i].dependencies);
    }
    REQUIRE(back.steps[1].batch);
    CHECK(back.steps[1].batch->failure_strategy == batch_failure_strategy::isolate);

    const auto methods = read(corpus("handler_methods.yaml"));
    const auto methods_back = read(json::serialize(postgres::detail::definition_json(methods)));
    for (std::size_t i = 0; i < methods.steps.size(); ++i) {
        CHECK(methods_back.steps[i].handler.method == methods.steps[i].handler.method);
        CHECK(methods_back.steps[i].handler.resolver == methods.steps[i].handler.resolver);
    }

    const auto deploy = read(corpus("deploy_environments.yaml"));
    CHECK(read(json::serialize(postgres::detail::definition_json(deploy))).loaded_from == deploy.loaded_from);
}

TEST_CASE("template json: the identity strategy is written and read back, and unset stays unset", "[unit][postgres]")
{
    for (const auto* line : {"identity_strategy: strict\n", "identity_strategy: caller_provided\n",
                             "identity_strategy: always_unique\n", ""}) {
        INFO(line);
        const auto written = read(std::string("name: t\nnamespace_name: ns\nversion: 1.0.0\n") + line +
                                  "steps:\n  - {name: a, handler: {callable: h}}\n");
        const auto back = read(json::serialize(postgres::detail::definition_json(written)));
        CHECK(back.identity == written.identity);
        CHECK(same_definition(back, written));
    }
}
