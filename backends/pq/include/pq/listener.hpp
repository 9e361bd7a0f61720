#pragma once
// A connection of its own, LISTENing on a set of channels, on a thread of its own.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tasker::pq {

/// Holds one connection that LISTENs on every channel asked for, on a thread of its own,
/// and reports what it hears. When the connection breaks, it says so (`lost`: notifications
/// may have been missed, whoever waits must look again), waits a little (100 ms, doubling
/// up to 5 s), reconnects and LISTENs again on every channel.
class listener {
public:
    struct callbacks {
        /// A notification on `channel` with `payload` (sent by a transaction that committed).
        std::function<void(const std::string& channel, const std::string& payload)> notified;
        /// LISTEN on `channels` took effect: from now on no notification on them is missed.
        std::function<void(const std::vector<std::string>& channels)> subscribed;
        /// The connection broke, and the LISTENs with it.
        std::function<void()> lost;
    };

    /// Callbacks run on the listener's thread, holding none of its locks.
    listener(std::string url, callbacks on);
    ~listener();
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// LISTENs on `channel` within 50 ms (`subscribed` says when); asking again is harmless.
    void listen(const std::string& channel);

private:
    void loop();

    std::string url_;
    callbacks on_;
    std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::vector<std::string> channels_; // every channel asked for
    std::vector<std::string> pending_;  // asked for, not LISTENed on yet on this connection
    std::thread thread_;
};

} // namespace tasker::pq
