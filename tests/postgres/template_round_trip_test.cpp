// Templates in tasker-core's format through tasker.templates: what one store registers, another
// reads back with everything the format carries (handler method and resolver, result_schema,
// step lifecycle, loaded_from), compiled again where it compiles.
#include <tasker/model/template_registry.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/testing/postgres.hpp>

#include "support/await_value.hpp"
#include "support/catch.hpp"

#include <filesystem>
#include <string>

using namespace tasker;

namespace {

const std::filesystem::path corpus_dir = std::filesystem::path(TASKER_TEST_DATA_DIR) / "tasker_core_templates";

} // namespace

TEST_CASE("postgres store: tasker-core templates read back from another store as registered", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    postgres::store first({db.url(), 2, 1});
    postgres::store second({db.url(), 2, 2});

    std::size_t registered = 0;
    for (const auto& file : std::filesystem::directory_iterator(corpus_dir)) {
        if (file.path().extension() != ".yaml")
            continue;
        for (const char* environment : {"", "development", "sandbox"}) {
            auto loaded = load_template_file(file.path().string(), template_options{.environment = environment});
            if (!loaded)
                continue; // the step types this version does not run (tasker_core_corpus_test)
            INFO(file.path().filename().string() << " in '" << environment << "'");
            // One version per environment: a template's versions are immutable.
            loaded->version.prerelease = std::string("env") + (*environment ? "." : "") + environment;
            const auto t = test::await_value(first.register_template(std::move(*loaded)));
            ++registered;
            const auto seen = test::await_value(second.find_template({t->namespace_name, t->name, t->version}));
            CHECK(same_definition(*seen, *t));
            CHECK(seen->loaded_from == t->loaded_from);
            CHECK(seen->input_schema == t->input_schema);
            CHECK(static_cast<bool>(seen->schema) == static_cast<bool>(t->schema));
            REQUIRE(seen->steps.size() == t->steps.size());
            for (std::size_t i = 0; i < t->steps.size(); ++i) {
                const auto& a = t->steps[i];
                const auto& b = seen->steps[i];
                INFO(a.name);
                CHECK(b.handler.method == a.handler.method);
                CHECK(b.handler.resolver == a.handler.resolver);
                CHECK(b.handler.initialization == a.handler.initialization);
                CHECK(b.lifecycle == a.lifecycle);
                CHECK(b.result_schema == a.result_schema);
                CHECK(static_cast<bool>(b.compiled_result_schema) == static_cast<bool>(a.compiled_result_schema));
                CHECK(b.effective_retry == a.effective_retry);
                CHECK(b.timeout == a.timeout);
            }
        }
    }
    CHECK(registered >= 8);

    // What was kept is what counts: the result schema read back refuses what the registered one refuses.
    const auto typed = test::await_value(second.find_template({"invoicing", "invoice_pipeline", std::nullopt}));
    const auto* render = &typed->steps[*typed->step_index("render_pdf")];
    CHECK_FALSE(check_result(*render, json::object{{"url", "short"}, {"extra", 1}}));
    CHECK(check_result(*render, json::object{{"url", "https://files.example/1.pdf"}}));
    const auto methods = test::await_value(second.find_template({"billing_refunds", "refund_flow", std::nullopt}));
    CHECK(methods->steps[*methods->step_index("issue_refund")].handler.resolver == "explicit_mapping");
}
