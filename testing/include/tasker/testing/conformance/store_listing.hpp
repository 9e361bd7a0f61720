#pragma once
// The store conformance suite, contracts 3 and 9 for what a submitter says about a task: the
// request's fields kept and returned, listings filtered by them and paged by cursor.

#include <tasker/testing/conformance/store_suite.hpp>

#include <set>

namespace tasker::testing {

/// Contracts 3 and 9: a task request's fields round-trip, each listing filter narrows, pages
/// walk every task once, and bad fields, filters and cursors are refused changing nothing.
template <store_fixture F>
class store_listing_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::flow, suite::register_flow,
        suite::create, suite::view, suite::list, suite::act, suite::drain, suite::f_, suite::worker_q_, suite::ns;

public:
    using suite::suite;

    /// Contract 3: every field of the request comes back as given, from get_task and from a
    /// listing, for a task created alone or in a batch, and a task that gives none has none.
    void request_fields_round_trip()
    {
        const auto tmpl = register_flow();
        const auto alone = run(store().create_task(described(tmpl, "alone", {"billing", "eu:west/1"})), "create_task");
        std::vector<new_task> batch;
        batch.push_back(described(tmpl, "in-batch", {"b"}));
        batch.push_back(new_task{tmpl, make_json(json::object{}), {}, {}});
        // A key naming the first task: answered with it, its fields untouched.
        auto again = described(tmpl, "ignored", {"other"});
        again.identity_key = "key-alone";
        batch.push_back(std::move(again));
        const auto created = run(store().create_tasks(std::move(batch)), "create_tasks");
        REQUIRE(created.size() == 3);
        CHECK_FALSE(created[2].created);
        CHECK(created[2].id == alone.id);

        const auto v = view(alone.id);
        CHECK(v.identity_key == "key-alone");
        CHECK(v.correlation_id == "corr-alone");
        CHECK(v.parent_correlation_id == "parent-alone");
        CHECK(v.initiator == "initiator-alone");
        CHECK(v.source_system == "system-alone");
        CHECK(v.reason == "because alone: \xc3\xa9t\xc3\xa9");
        CHECK(v.tags == std::vector<std::string>{"billing", "eu:west/1"});
        CHECK(v.priority == -7);
        const auto b = view(created[0].id);
        CHECK(b.initiator == "initiator-in-batch");
        CHECK(b.tags == std::vector<std::string>{"b"});
        const auto plain = view(created[1].id);
        CHECK(plain.correlation_id.empty());
        CHECK(plain.parent_correlation_id.empty());
        CHECK(plain.initiator.empty());
        CHECK(plain.source_system.empty());
        CHECK(plain.reason.empty());
        CHECK(plain.tags.empty());
        CHECK(plain.priority == 0);

        const auto listed = list({});
        REQUIRE(listed.size() == 3);
        const auto& s = listed[2];
        CHECK(s.id == alone.id);
        CHECK(s.correlation_id == "corr-alone");
        CHECK(s.parent_correlation_id == "parent-alone");
        CHECK(s.initiator == "initiator-alone");
        CHECK(s.source_system == "system-alone");
        CHECK(s.reason == v.reason);
        CHECK(s.tags == v.tags);
        CHECK(s.priority == -7);
        CHECK(s.created_at == v.created_at);
        CHECK(listed[0].tags.empty());
        CHECK(listed[0].priority == 0);
        // The answered duplicate added no tag of its own.
        CHECK(list({.tag = "other"}).empty());
    }

    /// Contract 9: each filter narrows the listing to the tasks that match it, and filters
    /// together to the tasks that match them all.
    void each_filter_narrows()
    {
        const auto tmpl = register_flow();
        const auto other = run(store().register_template(flow("1.0.0", "conformance.a", "conformance_other")),
                               "register_template");
        auto t1_request = described(tmpl, "1", {"a", "b"});
        t1_request.parent_correlation_id = "parent-shared";
        const auto t1 = run(store().create_task(std::move(t1_request)), "create_task").id;
        f_.advance(milliseconds(2));
        auto t2_request = described(tmpl, "2", {"b"});
        t2_request.parent_correlation_id = "parent-shared";
        const auto t2 = run(store().create_task(std::move(t2_request)), "create_task").id;
        f_.advance(milliseconds(2));
        const auto t3 = create(other).id;
        f_.advance(milliseconds(2));
        const auto t4 = create(tmpl).id;
        drain(worker_q_);
        REQUIRE(act(t4, action::cancel{}).has_value());

        using ids = std::vector<task_id>;
        CHECK(ids_of(list({})) == ids{t4, t3, t2, t1});
        CHECK(ids_of(list({.initiator = "initiator-1"})) == ids{t1});
        CHECK(ids_of(list({.source_system = "system-2"})) == ids{t2});
        CHECK(ids_of(list({.tag = "a"})) == ids{t1});
        CHECK(ids_of(list({.tag = "b"})) == ids{t2, t1});
        CHECK(list({.tag = "none"}).empty());
        CHECK(ids_of(list({.correlation_id = "corr-2"})) == ids{t2});
        CHECK(ids_of(list({.parent_correlation_id = "parent-shared"})) == ids{t2, t1});
        CHECK(ids_of(list({.template_name = "conformance_other"})) == ids{t3});
        CHECK(ids_of(list({.template_name = "conformance_flow"})) == ids{t4, t2, t1});
        CHECK(ids_of(list({.state = task_state::cancelled})) == ids{t4});
        CHECK(list({.initiator = "nobody"}).empty());

        // Creation times: at or after the bound, strictly before it.
        const auto at2 = view(t2).created_at;
        CHECK(ids_of(list({.created_after = at2})) == ids{t4, t3, t2});
        CHECK(ids_of(list({.created_before = at2})) == ids{t1});
        CHECK(ids_of(list({.created_after = view(t1).created_at, .created_before = view(t3).created_at})) ==
              ids{t2, t1});

        // Together: every filter must match.
        CHECK(ids_of(list({.initiator = "initiator-1", .tag = "b"})) == ids{t1});
        CHECK(list({.initiator = "initiator-2", .tag = "a"}).empty());
        CHECK(ids_of(list({.state = task_state::cancelled, .template_name = "conformance_flow"})) == ids{t4});
        CHECK(list({.state = task_state::cancelled, .tag = "b"}).empty());
        CHECK(ids_of(list({.tag = "b", .created_before = at2})) == ids{t1});
    }

    /// Contract 9: walking the pages from the first lists every task once, newest first, and a
    /// task created in the middle of the walk breaks nothing (it is newer than the cursor, so
    /// the walk does not reach it); the last page has no cursor, also when it is full.
    void paging_walks_every_task_once()
    {
        const auto tmpl = register_flow();
        std::vector<task_id> made;
        for (int i = 0; i < 7; ++i) {
            auto nt = new_task{tmpl, make_json(json::object{{"order", i}}), {}, {}};
            if (i % 2 == 0)
                nt.tags = {"even"};
            made.push_back(run(store().create_task(std::move(nt)), "create_task").id);
        }
        std::vector<task_id> newest_first(made.rbegin(), made.rend());

        auto first = page({.limit = 3});
        REQUIRE(first.tasks.size() == 3);
        REQUIRE_FALSE(first.next_cursor.empty());
        const auto late = create(tmpl).id; // during the walk
        std::vector<task_id> walked = ids_of(first.tasks);
        std::vector<std::size_t> sizes{first.tasks.size()};
        auto cursor = first.next_cursor;
        for (int pages = 0; !cursor.empty() && pages < 10; ++pages) {
            auto next = page({.limit = 3, .cursor = cursor});
            sizes.push_back(next.tasks.size());
            for (const auto& s : next.tasks)
                walked.push_back(s.id);
            cursor = next.next_cursor;
        }
        CHECK(sizes == std::vector<std::size_t>{3, 3, 1});
        CHECK(walked == newest_first);
        CHECK(std::set<task_id>(walked.begin(), walked.end()).size() == walked.size());
        CHECK(std::find(walked.begin(), walked.end(), late) == walked.end());

        // A full last page: 8 tasks now, 4 a page.
        const auto a = page({.limit = 4});
        REQUIRE(a.tasks.size() == 4);
        CHECK(a.tasks[0].id == late);
        const auto b = page({.limit = 4, .cursor = a.next_cursor});
        CHECK(b.tasks.size() == 4);
        CHECK(b.next_cursor.empty());
        CHECK(b.tasks.back().id == made.front());

        // A filtered walk pages through the filtered tasks alone, the limit changing between pages.
        const auto e1 = page({.tag = "even", .limit = 3});
        REQUIRE(e1.tasks.size() == 3);
        const auto e2 = page({.tag = "even", .limit = 5, .cursor = e1.next_cursor});
        CHECK(ids_of(e1.tasks) == std::vector<task_id>{made[6], made[4], made[2]});
        CHECK(ids_of(e2.tasks) == std::vector<task_id>{made[0]});
        CHECK(e2.next_cursor.empty());
    }

    /// Contracts 3 and 9: bad request fields, filters and cursors are `errc::invalid_request`;
    /// a refused task or batch creates nothing and sends nothing.
    void bad_fields_and_cursors_change_nothing()
    {
        const auto tmpl = register_flow();
        auto bad = described(tmpl, "bad", {"fine", "not fine"});
        bad.priority = 500;
        const auto r = blocking(store().create_task(std::move(bad)));
        REQUIRE(failed_with(r, {errc::invalid_request}));
        CHECK(r.error().problems.size() == 2);
        CHECK(list({}).empty());
        CHECK(drain(worker_q_).empty());

        std::vector<new_task> batch;
        batch.push_back(described(tmpl, "good", {"fine"}));
        auto long_initiator = described(tmpl, "long", {});
        long_initiator.initiator = std::string(request_limits::label_bytes + 1, 'i');
        batch.push_back(std::move(long_initiator));
        const auto rb = blocking(store().create_tasks(std::move(batch)));
        REQUIRE(failed_with(rb, {errc::invalid_request}));
        CHECK(rb.error().message.find("task 2 of 2") != std::string::npos);
        CHECK(list({}).empty());
        CHECK(drain(worker_q_).empty());
        // The identity key of the refused batch is free.
        CHECK(run(store().create_task(described(tmpl, "good", {"fine"})), "create_task").created);

        create(tmpl);
        const auto one = page({.limit = 1});
        REQUIRE_FALSE(one.next_cursor.empty());
        CHECK(failed_with(blocking(store().list_tasks(in_suite({.limit = 1, .cursor = "not-a-cursor"}))),
                          {errc::invalid_request}));
        CHECK(failed_with(blocking(store().list_tasks(in_suite({.tag = "fine", .limit = 1, .cursor = one.next_cursor}))),
                          {errc::invalid_request}));
        CHECK(failed_with(blocking(store().list_tasks(in_suite({.limit = 0}))), {errc::invalid_request}));
        CHECK(failed_with(blocking(store().list_tasks(in_suite({.initiator = ""}))), {errc::invalid_request}));
        CHECK(list({}).size() == 2);
    }

private:
    /// A task of `tmpl` with every request field set, named after `name`; identity key
    /// "key-<name>".
    static new_task described(const template_ptr& tmpl, const std::string& name, std::vector<std::string> tags)
    {
        new_task nt{tmpl, make_json(json::object{{"name", name}}), "key-" + name, "corr-" + name};
        nt.parent_correlation_id = "parent-" + name;
        nt.initiator = "initiator-" + name;
        nt.source_system = "system-" + name;
        nt.reason = "because " + name + ": \xc3\xa9t\xc3\xa9";
        nt.tags = std::move(tags);
        nt.priority = -7;
        return nt;
    }

    static task_filter in_suite(task_filter f)
    {
        f.namespace_name = std::string(ns);
        return f;
    }

    task_page page(task_filter f) { return run(store().list_tasks(in_suite(std::move(f))), "list_tasks"); }

    static std::vector<task_id> ids_of(const std::vector<task_summary>& tasks)
    {
        std::vector<task_id> out;
        for (const auto& t : tasks)
            out.push_back(t.id);
        return out;
    }
};

} // namespace tasker::testing
