-- tasker migration 0003: the transactional outbox, for brokers outside PostgreSQL (RabbitMQ).
--
-- A state change and the messages it causes must commit together (DESIGN "Atomic state +
-- message"). With PGMQ they share the transaction; a RabbitMQ publish cannot join it. So a
-- store configured with the outbox route writes its messages as rows of tasker.outbox in the
-- same transaction, and relays (tasker::postgres::outbox_relay) publish them to the broker with
-- publisher confirms and delete a row only after its confirm. A relay that dies between publish
-- and delete leaves the row, which another relay publishes again once the claim runs out: a
-- duplicate, which consumers ignore (they re-check state), never a loss.

CREATE TABLE tasker.outbox (
    id bigserial PRIMARY KEY,
    queue text NOT NULL,
    body jsonb NOT NULL,
    visible_at timestamptz NOT NULL,  -- when the message is due (retry timers are delayed)
    claimed_until timestamptz         -- a relay is publishing it until then (null: nobody)
);

-- The previous commit_changes applies the state changes and sends the messages through pgmq.
ALTER FUNCTION tasker.commit_changes(jsonb) RENAME TO commit_changes_via_pgmq;

-- Applies one change set (see commit_changes_via_pgmq for its format). `changes.route`:
-- "outbox" writes the messages to tasker.outbox and wakes the relays (NOTIFY tasker_outbox);
-- anything else sends them through pgmq, as before.
CREATE FUNCTION tasker.commit_changes(changes jsonb) RETURNS void AS $fn$
DECLARE
    stamp timestamptz := coalesce(timestamptz 'epoch' + (changes ->> 'now_us')::bigint * interval '1 microsecond',
                                  now());
BEGIN
    IF coalesce(changes ->> 'route', 'pgmq') <> 'outbox' THEN
        PERFORM tasker.commit_changes_via_pgmq(changes);
        RETURN;
    END IF;
    PERFORM tasker.commit_changes_via_pgmq(changes - 'messages');
    IF coalesce(jsonb_array_length(changes -> 'messages'), 0) > 0 THEN
        INSERT INTO tasker.outbox (queue, body, visible_at)
        SELECT m.queue, m.body, stamp + greatest(coalesce(m.delay_us, 0), 0) * interval '1 microsecond'
        FROM jsonb_to_recordset(changes -> 'messages') AS m(ord integer, queue text, body jsonb, delay_us bigint)
        ORDER BY m.ord;
        PERFORM pg_notify('tasker_outbox', '');
    END IF;
END
$fn$ LANGUAGE plpgsql;
