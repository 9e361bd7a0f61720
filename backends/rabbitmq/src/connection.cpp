#include "connection.hpp"

#include <amqp_tcp_socket.h>

#include <chrono>
#include <utility>

namespace tasker::rabbitmq::amqp {

namespace {

timeval to_timeval(duration d)
{
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

amqp_bytes_t bytes_of(std::string_view s)
{
    return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; // rabbitmq-c only reads it
}

std::string text_of(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

/// A table pointing into `hs` (which must outlive it).
struct table {
    std::vector<amqp_table_entry_t> entries;

    explicit table(const std::vector<header>& hs)
    {
        entries.reserve(hs.size());
        for (const auto& h : hs) {
            amqp_table_entry_t e{};
            e.key = bytes_of(h.key);
            if (h.is_number) {
                e.value.kind = AMQP_FIELD_KIND_I64;
                e.value.value.i64 = h.number;
            } else {
                e.value.kind = AMQP_FIELD_KIND_UTF8;
                e.value.value.bytes = bytes_of(h.text);
            }
            entries.push_back(e);
        }
    }

    amqp_table_t get()
    {
        return amqp_table_t{static_cast<int>(entries.size()), entries.empty() ? nullptr : entries.data()};
    }
};

std::vector<header> headers_of(const amqp_basic_properties_t& p)
{
    std::vector<header> out;
    if (!(p._flags & AMQP_BASIC_HEADERS_FLAG))
        return out;
    for (int i = 0; i < p.headers.num_entries; ++i) {
        const auto& e = p.headers.entries[i];
        header h;
        h.key = text_of(e.key);
        switch (e.value.kind) {
        case AMQP_FIELD_KIND_UTF8:
        case AMQP_FIELD_KIND_BYTES: h.text = text_of(e.value.value.bytes); break;
        case AMQP_FIELD_KIND_I64: h.number = e.value.value.i64, h.is_number = true; break;
        case AMQP_FIELD_KIND_U64: h.number = static_cast<std::int64_t>(e.value.value.u64), h.is_number = true; break;
        case AMQP_FIELD_KIND_I32: h.number = e.value.value.i32, h.is_number = true; break;
        case AMQP_FIELD_KIND_U32: h.number = e.value.value.u32, h.is_number = true; break;
        default: continue; // x-death and other broker tables: not ours
        }
        out.push_back(std::move(h));
    }
    return out;
}

/// A close the server sent (connection.close / channel.close) as an error: 320
/// (connection-forced: the broker is going down) is transient, the rest are refusals.
error server_close(std::string_view doing, const std::string& where, std::uint16_t code, amqp_bytes_t text)
{
    const auto what = "rabbitmq at " + where + " " + std::string(doing) + ": " + std::to_string(code) + " " + text_of(text);
    if (code == AMQP_CONNECTION_FORCED)
        return error{errc::backend_unavailable, what};
    return error{errc::broker_error, what};
}

} // namespace

result<endpoint> endpoint::parse(std::string_view url)
{
    std::string buffer(url); // amqp_parse_url writes into it and points into it
    amqp_connection_info info{};
    if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
        // Quoted without its credentials.
        std::string shown(url);
        if (const auto at = shown.rfind('@'); at != std::string::npos) {
            const auto scheme = shown.find("://");
            const auto from = scheme == std::string::npos || scheme > at ? 0 : scheme + 3;
            shown.replace(from, at - from, "***");
        }
        return error{errc::invalid_name, "not an AMQP URL (amqp://user:password@host:port/vhost): \"" + shown + "\""};
    }
    if (info.ssl)
        return error{errc::invalid_name, "amqps:// is not supported: use amqp:// (for TLS, a local stunnel)"};
    // "amqp://host/" names RabbitMQ's default virtual host, as every client takes it.
    std::string vhost = info.vhost;
    if (vhost.empty())
        vhost = "/";
    return endpoint{info.host, info.port, info.user, info.password, vhost};
}

std::string endpoint::describe() const { return host + ":" + std::to_string(port) + "/" + vhost; }

result<connection> connection::open(const endpoint& to, std::uint16_t prefetch, duration heartbeat, duration timeout)
{
    connection c(amqp_new_connection());
    c.where_ = to.describe();
    const auto tv = to_timeval(timeout);
    amqp_set_handshake_timeout(c.state_, &tv);
    amqp_set_rpc_timeout(c.state_, &tv);
    amqp_socket_t* socket = amqp_tcp_socket_new(c.state_);
    if (!socket)
        return c.broken(error{errc::backend_unavailable, "rabbitmq: cannot create a socket"});
    if (const int rc = amqp_socket_open_noblock(socket, to.host.c_str(), to.port, &tv); rc != AMQP_STATUS_OK)
        return c.broken(error{errc::backend_unavailable,
                              "rabbitmq at " + c.where_ + " unreachable: " + amqp_error_string2(rc)});
    const auto beat = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(heartbeat).count());
    const auto login = amqp_login(c.state_, to.vhost.c_str(), 0, 131072, beat, AMQP_SASL_METHOD_PLAIN,
                                  to.user.c_str(), to.password.c_str());
    if (login.reply_type != AMQP_RESPONSE_NORMAL) {
        const bool refused = login.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION ||
                             (login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                              login.library_error == AMQP_STATUS_CONNECTION_CLOSED);
        if (refused)
            return c.broken(error{errc::broker_error, "rabbitmq at " + c.where_ + " refused the login of user \"" +
                                                          to.user + "\" (check the credentials and the vhost)"});
        return c.fail("logging in", login.library_error).error();
    }
    amqp_channel_open(c.state_, 1);
    if (auto r = c.rpc_status("opening a channel"); !r)
        return r.error();
    amqp_basic_qos(c.state_, 1, 0, prefetch, 0);
    if (auto r = c.rpc_status("setting the prefetch"); !r)
        return r.error();
    amqp_confirm_select(c.state_, 1);
    if (auto r = c.rpc_status("selecting publisher confirms"); !r)
        return r.error();
    return c;
}

connection::connection(connection&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), broken_(other.broken_), next_seq_(other.next_seq_),
      where_(std::move(other.where_))
{
}

connection& connection::operator=(connection&& other) noexcept
{
    connection old(std::move(*this)); // closes what this held, after the swap
    std::swap(state_, other.state_);
    std::swap(broken_, other.broken_);
    std::swap(next_seq_, other.next_seq_);
    std::swap(where_, other.where_);
    return *this;
}

connection::~connection()
{
    if (!state_)
        return;
    if (!broken_) {
        // A clean close: RabbitMQ requeues what this connection had not acked.
        amqp_channel_close(state_, 1, AMQP_REPLY_SUCCESS);
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state_);
}

int connection::socket() const noexcept { return amqp_get_sockfd(state_); }

bool connection::has_buffered() const noexcept
{
    return amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_);
}

error connection::broken(error e)
{
    broken_ = true;
    return e;
}

result<void> connection::fail(std::string_view doing, int status)
{
    return broken(error{errc::backend_unavailable,
                        "rabbitmq at " + where_ + " " + std::string(doing) + ": " + amqp_error_string2(status)});
}

result<void> connection::rpc_status(std::string_view doing)
{
    const auto r = amqp_get_rpc_reply(state_);
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return {};
    case AMQP_RESPONSE_NONE: return broken(error{errc::backend_unavailable, "rabbitmq " + std::string(doing) + ": no reply"});
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return fail(doing, r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const auto* m = static_cast<const amqp_connection_close_t*>(r.reply.decoded);
            return broken(server_close(doing, where_, m->reply_code, m->reply_text));
        }
        if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const auto* m = static_cast<const amqp_channel_close_t*>(r.reply.decoded);
            return broken(server_close(doing, where_, m->reply_code, m->reply_text));
        }
        return broken(error{errc::broker_error, "rabbitmq " + std::string(doing) + ": unexpected server reply"});
    }
    return broken(error{errc::backend_unavailable, "rabbitmq " + std::string(doing) + ": unknown reply"});
}

result<void> connection::declare_exchange(const std::string& name, const char* type)
{
    amqp_exchange_declare(state_, 1, bytes_of(name), amqp_cstring_bytes(type), 0, 1, 0, 0, amqp_empty_table);
    return rpc_status("declaring exchange " + name);
}

result<void> connection::declare_queue(const std::string& name, const arguments& args)
{
    table t(args);
    amqp_queue_declare(state_, 1, bytes_of(name), 0, 1, 0, 0, t.get());
    return rpc_status("declaring queue " + name);
}

result<void> connection::bind_queue(const std::string& queue, const std::string& exchange, const std::string& key,
                                    const arguments& args)
{
    table t(args);
    amqp_queue_bind(state_, 1, bytes_of(queue), bytes_of(exchange), bytes_of(key), t.get());
    return rpc_status("binding queue " + queue);
}

result<void> connection::consume(const std::string& queue, const std::string& consumer_tag)
{
    amqp_basic_consume(state_, 1, bytes_of(queue), bytes_of(consumer_tag), 0, 0, 0, amqp_empty_table);
    return rpc_status("consuming from " + queue);
}

result<void> connection::cancel(const std::string& consumer_tag)
{
    amqp_basic_cancel(state_, 1, bytes_of(consumer_tag));
    return rpc_status("cancelling consumer " + consumer_tag);
}

result<void> connection::request_get(const std::string& queue)
{
    amqp_basic_get_t get{};
    get.queue = bytes_of(queue);
    get.no_ack = 0;
    if (const int rc = amqp_send_method(state_, 1, AMQP_BASIC_GET_METHOD, &get); rc != AMQP_STATUS_OK)
        return fail("getting from " + queue, rc);
    return {};
}

result<std::uint64_t> connection::publish(const std::string& exchange, const std::string& routing_key,
                                          std::string_view body, const std::vector<header>& headers)
{
    table t(headers);
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.headers = t.get();
    const int rc = amqp_basic_publish(state_, 1, bytes_of(exchange), bytes_of(routing_key), 0, 0, &props, bytes_of(body));
    if (rc != AMQP_STATUS_OK) {
        if (auto r = fail("publishing to " + routing_key, rc); !r)
            return r.error();
    }
    return next_seq_++;
}

result<void> connection::ack(std::uint64_t tag, bool multiple)
{
    if (const int rc = amqp_basic_ack(state_, 1, tag, multiple ? 1 : 0); rc != AMQP_STATUS_OK)
        return fail("acking", rc);
    return {};
}

result<void> connection::reject(std::uint64_t tag)
{
    if (const int rc = amqp_basic_reject(state_, 1, tag, 0); rc != AMQP_STATUS_OK)
        return fail("rejecting", rc);
    return {};
}

result<void> connection::heartbeat()
{
    amqp_frame_t f{};
    f.frame_type = AMQP_FRAME_HEARTBEAT;
    f.channel = 0;
    if (const int rc = amqp_send_frame(state_, &f); rc != AMQP_STATUS_OK)
        return fail("sending a heartbeat", rc);
    return {};
}

result<std::optional<event>> connection::next_event(duration wait)
{
    const timeval limit = to_timeval(wait);
    while (true) {
        amqp_frame_t f{};
        const int rc = amqp_simple_wait_frame_noblock(state_, &f, &limit);
        if (rc == AMQP_STATUS_TIMEOUT)
            return std::optional<event>{};
        if (rc != AMQP_STATUS_OK) {
            if (auto r = fail("reading", rc); !r)
                return r.error();
        }
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        event e;
        switch (f.payload.method.id) {
        case AMQP_BASIC_DELIVER_METHOD: {
            const auto* d = static_cast<const amqp_basic_deliver_t*>(f.payload.method.decoded);
            e.what = event::kind::delivery;
            e.message.consumer_tag = text_of(d->consumer_tag);
            e.message.tag = d->delivery_tag;
            e.message.redelivered = d->redelivered != 0;
            amqp_message_t m{};
            const auto r = amqp_read_message(state_, f.channel, &m, 0);
            if (r.reply_type != AMQP_RESPONSE_NORMAL) {
                if (auto s = rpc_status("reading a delivery"); !s)
                    return s.error();
                return broken(error{errc::backend_unavailable, "rabbitmq: reading a delivery failed"});
            }
            e.message.body = text_of(m.body);
            e.message.headers = headers_of(m.properties);
            amqp_destroy_message(&m);
            return std::optional<event>(std::move(e));
        }
        case AMQP_BASIC_GET_OK_METHOD: {
            const auto* g = static_cast<const amqp_basic_get_ok_t*>(f.payload.method.decoded);
            e.what = event::kind::got;
            e.message.tag = g->delivery_tag;
            e.message.redelivered = g->redelivered != 0;
            amqp_message_t m{};
            if (amqp_read_message(state_, f.channel, &m, 0).reply_type != AMQP_RESPONSE_NORMAL) {
                if (auto s = rpc_status("reading a message"); !s)
                    return s.error();
                return broken(error{errc::backend_unavailable, "rabbitmq: reading a message failed"});
            }
            e.message.body = text_of(m.body);
            e.message.headers = headers_of(m.properties);
            amqp_destroy_message(&m);
            return std::optional<event>(std::move(e));
        }
        case AMQP_BASIC_GET_EMPTY_METHOD:
            e.what = event::kind::got_nothing;
            return std::optional<event>(std::move(e));
        case AMQP_BASIC_ACK_METHOD: {
            const auto* a = static_cast<const amqp_basic_ack_t*>(f.payload.method.decoded);
            e.what = event::kind::confirm;
            e.seq = a->delivery_tag;
            e.multiple = a->multiple != 0;
            return std::optional<event>(std::move(e));
        }
        case AMQP_BASIC_NACK_METHOD: {
            const auto* n = static_cast<const amqp_basic_nack_t*>(f.payload.method.decoded);
            e.what = event::kind::reject_confirm;
            e.seq = n->delivery_tag;
            e.multiple = n->multiple != 0;
            return std::optional<event>(std::move(e));
        }
        case AMQP_BASIC_CANCEL_METHOD: {
            const auto* c = static_cast<const amqp_basic_cancel_t*>(f.payload.method.decoded);
            e.what = event::kind::cancelled;
            e.message.consumer_tag = text_of(c->consumer_tag);
            return std::optional<event>(std::move(e));
        }
        case AMQP_CHANNEL_CLOSE_METHOD: {
            const auto* m = static_cast<const amqp_channel_close_t*>(f.payload.method.decoded);
            return broken(server_close("closed the channel", where_, m->reply_code, m->reply_text));
        }
        case AMQP_CONNECTION_CLOSE_METHOD: {
            const auto* m = static_cast<const amqp_connection_close_t*>(f.payload.method.decoded);
            return broken(server_close("closed the connection", where_, m->reply_code, m->reply_text));
        }
        default: continue;
        }
    }
}

void connection::release_buffers() noexcept { amqp_maybe_release_buffers(state_); }

} // namespace tasker::rabbitmq::amqp
