#pragma once
// The store conformance suite, contracts 1 and 2: registering templates and finding them by
// version.

#include <tasker/testing/conformance/store_suite.hpp>

namespace tasker::testing {

/// Contracts 1 and 2: registering templates and finding them by version.
template <store_fixture F>
class store_template_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::ref, suite::flow, suite::ns,
        suite::step_a;

public:
    using suite::suite;

    /// Contract 1: the same template twice is a no-op; other content under the same
    /// (namespace, name, version) is `template_conflict` and leaves the first in place.
    void register_template_is_idempotent()
    {
        const auto t = flow("1.0.0");
        const auto first = run(store().register_template(t), "register_template");
        const auto again = run(store().register_template(t), "register_template, same content");
        CHECK(again->key() == first->key());
        CHECK(again->steps.size() == 3);

        const auto changed = flow("1.0.0", "conformance.other");
        const auto conflict = blocking(store().register_template(changed));
        CHECK(failed_with(conflict, {errc::template_conflict}));

        const auto kept = run(store().find_template(ref("conformance_flow", "1.0.0")), "find_template");
        CHECK(kept->steps[step_a].handler.callable == "conformance.a");
        const auto all = run(store().list_templates(), "list_templates");
        CHECK(std::count_if(all.begin(), all.end(), [&](const template_ptr& p) { return p->key() == first->key(); }) ==
              1);
    }

    /// Contract 2: the newest version by semver precedence (1.10.0 > 1.9.3 > 1.2.0), an
    /// exact version, and the two lookup errors.
    void find_template_by_version()
    {
        for (const char* v : {"1.2.0", "1.10.0", "1.9.3"})
            run(store().register_template(flow(v)), "register_template");
        const auto newest = run(store().find_template(ref("conformance_flow", {})), "find_template");
        CHECK(newest->version == semver::parse("1.10.0").value());
        const auto exact = run(store().find_template(ref("conformance_flow", "1.2.0")), "find_template");
        CHECK(exact->version == semver::parse("1.2.0").value());
        CHECK(failed_with(blocking(store().find_template(ref("conformance_flow", "2.0.0"))),
                                  {errc::version_not_found}));
        CHECK(failed_with(blocking(store().find_template(ref("conformance_nope", {}))),
                                  {errc::template_not_found}));
        const auto all = run(store().list_templates(), "list_templates");
        CHECK(std::count_if(all.begin(), all.end(), [](const template_ptr& p) {
                  return p->namespace_name == ns && p->name == "conformance_flow";
              }) == 3);
    }
};

} // namespace tasker::testing
