#include "pq/listener.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <memory>

namespace tasker::pq {

namespace {

struct receiver final : pqxx::notification_receiver {
    using callback = std::function<void(const std::string&, const std::string&)>;
    receiver(pqxx::connection_base& c, const std::string& channel, const callback& notified)
        : pqxx::notification_receiver(c, channel), notified_(notified)
    {
    }
    void operator()(const std::string& payload, int) override { notified_(channel(), payload); }
    const callback& notified_;
};

} // namespace

listener::listener(std::string url, callbacks on) : url_(std::move(url)), on_(std::move(on))
{
    thread_ = std::thread([this] { loop(); });
}

listener::~listener()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    thread_.join();
}

void listener::listen(const std::string& channel)
{
    std::lock_guard lock(mutex_);
    if (std::find(channels_.begin(), channels_.end(), channel) != channels_.end())
        return;
    channels_.push_back(channel);
    pending_.push_back(channel);
}

void listener::loop()
{
    std::unique_ptr<pqxx::connection> conn;
    std::vector<std::unique_ptr<receiver>> receivers;
    auto backoff = std::chrono::milliseconds(100);
    const auto stopping = [this] {
        std::lock_guard lock(mutex_);
        return stopping_;
    };
    while (!stopping()) {
        try {
            if (!conn) {
                conn = std::make_unique<pqxx::connection>(url_);
                std::lock_guard lock(mutex_);
                pending_ = channels_;
                backoff = std::chrono::milliseconds(100);
            }
            std::vector<std::string> fresh;
            {
                std::lock_guard lock(mutex_);
                fresh.swap(pending_);
            }
            if (!fresh.empty()) {
                for (const auto& channel : fresh)
                    receivers.push_back(std::make_unique<receiver>(*conn, channel, on_.notified));
                // LISTEN runs when the receiver is made, but takes effect at the next
                // statement's end: run one, so a NOTIFY after this point is never missed.
                pqxx::nontransaction(*conn).exec("select 1");
                if (on_.subscribed)
                    on_.subscribed(fresh);
            }
            // Short timeout: channels asked for meanwhile, and stop(), are seen within it.
            conn->await_notification(0, 50'000);
        } catch (const std::exception&) {
            receivers.clear();
            conn.reset();
            if (on_.lost)
                on_.lost();
            std::unique_lock lock(mutex_);
            stop_cv_.wait_for(lock, backoff, [this] { return stopping_; });
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        }
    }
    receivers.clear();
}

} // namespace tasker::pq
