#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/names.hpp>

#include <mutex>
#include <ostream>
#include <unordered_set>

namespace tasker {

namespace {

// Interned names live for the program's life: there are few of them (one per namespace).
struct intern_table {
    std::mutex mutex;
    std::unordered_set<std::string> names;
};

intern_table& table()
{
    static intern_table* t = new intern_table; // never destroyed: names may be used during exit
    return *t;
}

} // namespace

result<queue_name> queue_name::make(std::string_view name)
{
    const bool ok = !name.empty() && name.size() <= max_length && [&] {
        for (char c : name)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                return false;
        return !(name[0] >= '0' && name[0] <= '9');
    }();
    if (!ok) {
        auto e = check_identifier(name, max_length, "queue");
        return error{errc::invalid_name,
                     e ? "queue name is invalid: it must match [a-z_][a-z0-9_]* within " + std::to_string(max_length) +
                             " characters"
                       : e.error().message};
    }
    auto& t = table();
    std::lock_guard lock(t.mutex);
    return queue_name{&*t.names.emplace(name).first};
}

std::ostream& operator<<(std::ostream& os, queue_name q) { return os << q.view(); }

result<queue_name> worker_queue(std::string_view namespace_name)
{
    if (auto ok = check_namespace_name(namespace_name); !ok)
        return ok.error();
    return queue_name::make(std::string(worker_queue_prefix) + std::string(namespace_name));
}

queue_name orchestration_queue()
{
    static const queue_name q = queue_name::make("orchestration_step_results").value();
    return q;
}

} // namespace tasker
