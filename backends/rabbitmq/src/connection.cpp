#include "connection.hpp"

#include <tasker/rabbitmq/errors.hpp>

#include <amqp.h>
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

/// What rabbitmq-c or the server said, in words: "403 ACCESS_REFUSED - Login was refused…"
/// (a close's reply code and text), or the library status's text. Never credentials: the
/// server's texts name users and vhosts, not passwords.
std::string said(const amqp_rpc_reply_t& r)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION: break;
    }
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* m = static_cast<const amqp_connection_close_t*>(r.reply.decoded);
        return std::to_string(m->reply_code) + " " + text_of(m->reply_text);
    }
    if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* m = static_cast<const amqp_channel_close_t*>(r.reply.decoded);
        return std::to_string(m->reply_code) + " " + text_of(m->reply_text);
    }
    return "unexpected server reply";
}

/// The backend's own code for `r`: the reply code of a close the server sent, else
/// rabbitmq-c's status (a reply that is neither counts as an unexpected method, no reply
/// at all as an unexpected protocol state).
boost::system::error_code origin_of(const amqp_rpc_reply_t& r)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return {};
    case AMQP_RESPONSE_NONE: return make_error_code(client_status::unexpected_state);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return make_error_code(static_cast<client_status>(r.library_error));
    case AMQP_RESPONSE_SERVER_EXCEPTION: break;
    }
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
        return make_error_code(
            static_cast<amqp_reply>(static_cast<const amqp_connection_close_t*>(r.reply.decoded)->reply_code));
    if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
        return make_error_code(
            static_cast<amqp_reply>(static_cast<const amqp_channel_close_t*>(r.reply.decoded)->reply_code));
    return make_error_code(client_status::wrong_method);
}

/// The one translation of a failed rabbitmq-c call or a close the server sent into a
/// `tasker::error`, `origin` set (see `origin_of`). A refusal by the server is
/// `broker_error`; everything else — a connection-forced close (320: the server is going
/// down), library trouble (socket, timeout, closed connection) — `backend_unavailable`,
/// which the engine retries.
error translate(const amqp_rpc_reply_t& r, std::string_view doing, const std::string& where)
{
    const auto origin = origin_of(r);
    const bool refused =
        r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && origin != make_error_code(amqp_reply::connection_forced);
    error e{refused ? errc::broker_error : errc::backend_unavailable,
            "rabbitmq at " + where + " " + std::string(doing) + ": " + said(r)};
    e.origin = origin;
    return e;
}

/// A library status as the reply rabbitmq-c's RPC calls give for it.
amqp_rpc_reply_t library_reply(int status)
{
    amqp_rpc_reply_t r{};
    r.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION;
    r.library_error = status;
    return r;
}

/// A close method the server sent on its own (not as an RPC's reply), as such a reply.
amqp_rpc_reply_t server_reply(const amqp_method_t& m)
{
    amqp_rpc_reply_t r{};
    r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    r.reply = m;
    return r;
}

} // namespace

result<endpoint> endpoint::parse(std::string_view url)
{
    std::string buffer(url); // amqp_parse_url writes into it and points into it
    amqp_connection_info info{};
    if (const int rc = amqp_parse_url(buffer.data(), &info); rc != AMQP_STATUS_OK) {
        // Quoted without its credentials.
        std::string shown(url);
        if (const auto at = shown.rfind('@'); at != std::string::npos) {
            const auto scheme = shown.find("://");
            const auto from = scheme == std::string::npos || scheme > at ? 0 : scheme + 3;
            shown.replace(from, at - from, "***");
        }
        error e{errc::invalid_name, "not an AMQP URL (amqp://user:password@host:port/vhost): \"" + shown + "\""};
        e.origin = make_error_code(static_cast<client_status>(rc));
        return e;
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
    if (!socket) // rabbitmq-c could not allocate it
        return c.fail("creating a socket", AMQP_STATUS_NO_MEMORY).error();
    if (const int rc = amqp_socket_open_noblock(socket, to.host.c_str(), to.port, &tv); rc != AMQP_STATUS_OK)
        return c.fail("unreachable", rc).error();
    const auto beat = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(heartbeat).count());
    const auto login = amqp_login(c.state_, to.vhost.c_str(), 0, 131072, beat, AMQP_SASL_METHOD_PLAIN,
                                  to.user.c_str(), to.password.c_str());
    if (login.reply_type != AMQP_RESPONSE_NORMAL) {
        auto e = translate(login, "logging in", c.where_);
        // A server that closes the connection during the login (an older one without
        // authentication_failure_close closes without a reply) refused it; one going down
        // (320) did not.
        const bool closed = login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                            login.library_error == AMQP_STATUS_CONNECTION_CLOSED;
        if (e.code == errc::broker_error || closed) {
            e.code = make_error_code(errc::broker_error);
            e.message = "rabbitmq at " + c.where_ + " refused the login of user \"" + to.user + "\" (" + said(login) +
                        "; check the credentials and the vhost)";
        }
        return c.broken(std::move(e));
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
    return broken(translate(library_reply(status), doing, where_));
}

result<void> connection::rpc_status(std::string_view doing)
{
    const auto r = amqp_get_rpc_reply(state_);
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return {};
    return broken(translate(r, doing, where_));
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
            if (const auto r = amqp_read_message(state_, f.channel, &m, 0); r.reply_type != AMQP_RESPONSE_NORMAL)
                return broken(translate(r, "reading a delivery", where_));
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
            if (const auto r = amqp_read_message(state_, f.channel, &m, 0); r.reply_type != AMQP_RESPONSE_NORMAL)
                return broken(translate(r, "reading a message", where_));
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
        case AMQP_CHANNEL_CLOSE_METHOD: return broken(translate(server_reply(f.payload.method), "closed the channel", where_));
        case AMQP_CONNECTION_CLOSE_METHOD:
            return broken(translate(server_reply(f.payload.method), "closed the connection", where_));
        default: continue;
        }
    }
}

void connection::release_buffers() noexcept { amqp_maybe_release_buffers(state_); }

} // namespace tasker::rabbitmq::amqp
