-- Public room names are unique, ignoring case, so a name such as `general`
-- names one room anyone can find, join and type after `/join`. Private
-- rooms and direct conversations may share names: only their members see
-- them.

-- Public rooms that already share a name: the oldest keeps it, the others
-- get their id appended, logged as `room.updated` like any rename so open
-- clients see the new name.
WITH renamed AS (
    UPDATE rooms r
    SET name = left(r.name, 50) || ' (' || r.id || ')', latest_seq = r.latest_seq + 1
    WHERE r.kind = 'room' AND r.visibility = 'public'
      AND EXISTS (SELECT 1 FROM rooms o
                  WHERE o.kind = 'room' AND o.visibility = 'public'
                    AND lower(o.name) = lower(r.name) AND o.id < r.id)
    RETURNING r.id, r.latest_seq, r.name, r.topic, r.archived_at IS NOT NULL AS archived
)
INSERT INTO room_events (room_id, seq, kind, data)
SELECT id, latest_seq, 'room.updated',
       jsonb_build_object('name', name, 'topic', topic, 'archived', archived)
FROM renamed;

CREATE UNIQUE INDEX rooms_public_name_key ON rooms (lower(name))
    WHERE kind = 'room' AND visibility = 'public';
