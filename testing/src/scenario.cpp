#include <tasker/testing/scenario.hpp>

#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/timeline.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

namespace tasker::testing {

namespace {

[[noreturn]] void throw_setup_error(error e, std::string_view doing)
{
    e.message = std::string(doing) + ": " + e.message;
    throw tasker::exception(std::move(e));
}

template <class T>
T must(result<T> r, std::string_view doing)
{
    if (!r)
        throw_setup_error(r.error(), doing);
    return std::move(*r);
}

std::string states_text(const std::vector<step_state>& states)
{
    std::string out = "{";
    for (std::size_t i = 0; i < states.size(); ++i)
        out += (i ? ", " : "") + std::string(to_string(states[i]));
    return out + "}";
}

} // namespace

// -- expectation ----------------------------------------------------------------------

expectation::expectation(task_view t) : task_(std::move(t)) {}

void expectation::fail(std::string what) { failures_.push_back(std::move(what)); }

const step_view* expectation::selected(std::string_view check)
{
    if (!step_)
        fail(std::string(check) + ": no step selected (call step(name) first)");
    return step_ ? &task_.steps[*step_] : nullptr;
}

expectation& expectation::task(task_state s)
{
    if (task_.state != s)
        fail("task is " + std::string(to_string(task_.state)) + ", expected " + std::string(to_string(s)));
    return *this;
}

expectation& expectation::step(std::string_view name)
{
    step_.reset();
    if (const auto* s = task_.step(name))
        step_ = s->index;
    else
        fail("the template has no step '" + std::string(name) + "'");
    return *this;
}

expectation& expectation::state(step_state s)
{
    if (const auto* st = selected("state"); st && st->state != s)
        fail("step '" + st->name + "' is " + std::string(to_string(st->state)) + ", expected " +
             std::string(to_string(s)));
    return *this;
}

expectation& expectation::attempts(std::uint32_t n)
{
    if (const auto* st = selected("attempts"); st && st->attempts != n)
        fail("step '" + st->name + "' was attempted " + std::to_string(st->attempts) + " times, expected " +
             std::to_string(n));
    return *this;
}

expectation& expectation::result(const json::value& v)
{
    if (const auto* st = selected("result"); st && deref(st->result) != v)
        fail("step '" + st->name + "' returned " + json::serialize(deref(st->result)) + ", expected " +
             json::serialize(v));
    return *this;
}

expectation& expectation::transitions(std::initializer_list<step_state> states)
{
    const auto* st = selected("transitions");
    if (!st)
        return *this;
    std::vector<step_state> actual;
    for (const auto& tr : task_.step_transitions)
        if (tr.step == st->index)
            actual.push_back(tr.to);
    const std::vector<step_state> expected(states);
    if (actual != expected)
        fail("step '" + st->name + "' went through " + states_text(actual) + ", expected " + states_text(expected));
    return *this;
}

expectation& expectation::error_contains(std::string_view text)
{
    const auto* st = selected("error_contains");
    if (!st)
        return *this;
    if (!st->last_error)
        fail("step '" + st->name + "' has no error, expected one containing \"" + std::string(text) + "\"");
    else if (st->last_error->message.find(text) == std::string::npos)
        fail("step '" + st->name + "' failed with \"" + st->last_error->message + "\", expected it to contain \"" +
             std::string(text) + "\"");
    return *this;
}

expectation& expectation::elapsed_between(duration at_least, duration at_most)
{
    const auto took = task_.updated_at - task_.created_at;
    const auto ms = [](duration d) { return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()); };
    if (took < at_least || took > at_most)
        fail("the task took " + ms(took) + " ms of virtual time, expected between " + ms(at_least) + " and " +
             ms(at_most) + " ms");
    return *this;
}

std::string expectation::describe() const
{
    std::ostringstream out;
    if (failures_.empty())
        out << "every expectation held\n";
    for (const auto& f : failures_)
        out << "expected: " << f << "\n";
    out << format_timeline(task_);
    return out.str();
}

// -- scenario -------------------------------------------------------------------------

scenario::scenario(scenario_options options)
{
    cluster_options o;
    o.orchestrators = options.orchestrators;
    o.workers = options.workers;
    o.seed = options.seed;
    o.faults = options.faults;
    o.templates = std::move(options.templates);
    o.worker = std::move(options.worker);
    cluster_ = std::make_unique<sim_cluster>(std::move(o));
}

scenario::~scenario() = default;

scenario& scenario::given_template(std::string_view yaml)
{
    templates_.push_back(must(cluster_->add_template(yaml), "given_template"));
    return *this;
}

scenario& scenario::given_template_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw_setup_error(error{errc::template_not_found, "cannot read '" + path + "'"}, "given_template_file");
    std::ostringstream text;
    text << in.rdbuf();
    auto t = load_template(text.str(), cluster_->options().templates);
    if (!t)
        throw_setup_error(t.error(), "given_template_file " + path);
    templates_.push_back(must(cluster_->add_template(std::move(*t)), "given_template_file " + path));
    return *this;
}

scenario& scenario::handler(std::string callable, const scripted_handler& b)
{
    // The cluster, not `this`: a scenario may be moved, its cluster stays put.
    return handler(std::move(callable), b.handler([cluster = cluster_.get()](time_point past) {
        cluster->clock().set(past + std::chrono::milliseconds(1));
    }));
}

scenario& scenario::handler(std::string callable, step_handler h)
{
    cluster_->handlers().add(std::move(callable), std::move(h));
    return *this;
}

void scenario::start()
{
    if (started_)
        return;
    auto ok = cluster_->start();
    if (!ok)
        throw_setup_error(ok.error(), "starting the scenario's cluster");
    started_ = true;
}

scenario& scenario::submit(json::value context, std::string workflow)
{
    if (templates_.empty())
        throw std::logic_error("scenario::submit: give a template first");
    start();
    auto it = workflow.empty() ? std::prev(templates_.end())
                               : std::find_if(templates_.begin(), templates_.end(),
                                              [&](const template_ptr& p) { return p->name == workflow; });
    if (it == templates_.end())
        throw std::logic_error("scenario::submit: no template named '" + workflow + "' was given");
    const auto& t = *it;
    const auto created = must(cluster_->submit({{t->namespace_name, t->name, t->version}, std::move(context), {}, {}}),
                              "submit");
    current_ = created.id;
    cluster_->run_ready();
    return *this;
}

const task_id& scenario::id() const
{
    if (!current_)
        throw std::logic_error("scenario: submit a task first");
    return *current_;
}

scenario& scenario::cancel()
{
    must(cluster_->act(id(), action::cancel{}), "cancel");
    cluster_->run_ready();
    return *this;
}

scenario& scenario::resolve_step(std::string step, json::value result)
{
    must(cluster_->act(id(), action::resolve_step{std::move(step), make_json(std::move(result))}), "resolve_step");
    cluster_->run_ready();
    return *this;
}

scenario& scenario::reset_step(std::string step)
{
    must(cluster_->act(id(), action::reset_step{std::move(step)}), "reset_step");
    cluster_->run_ready();
    return *this;
}

scenario& scenario::resolve_task()
{
    must(cluster_->act(id(), action::resolve_task{}), "resolve_task");
    cluster_->run_ready();
    return *this;
}

scenario& scenario::advance(duration d)
{
    start();
    const auto end = cluster_->clock().now() + d;
    cluster_->run_until([] { return false; }, d);
    cluster_->clock().set(end);
    cluster_->run_ready();
    return *this;
}

scenario& scenario::run_until_finished(duration limit)
{
    if (!cluster_->run_until_finished(id(), limit))
        throw std::runtime_error("scenario: the task did not finish within the limit of virtual time\n" + timeline());
    return *this;
}

scenario& scenario::run_until_step(std::string_view step, step_state state, duration limit)
{
    const auto& t = id();
    const bool reached = cluster_->run_until(
        [&] {
            const auto v = cluster_->get(t);
            const auto* s = v ? v->step(step) : nullptr;
            return s && s->state == state;
        },
        limit);
    if (!reached)
        throw std::runtime_error("scenario: step '" + std::string(step) + "' did not reach " +
                                 std::string(to_string(state)) + " within the limit\n" + timeline());
    return *this;
}

scenario& scenario::kill_worker(std::size_t i)
{
    cluster_->kill_worker(i);
    return *this;
}

scenario& scenario::restart_worker(std::size_t i)
{
    cluster_->restart_worker(i);
    cluster_->run_ready();
    return *this;
}

expectation scenario::expect() const { return expectation(task()); }

task_view scenario::task() const { return cluster_->get(id()).value(); }

std::string scenario::timeline() const { return format_timeline(task()); }

duration scenario::elapsed() const { return cluster_->elapsed(); }

} // namespace tasker::testing
