-- Cheaper message inserts (issue 15: the conversation features must not
-- slow sends by more than 10 %). Every insert into messages pays for each
-- of its indexes and foreign-key triggers, so two that V9 and V10 added
-- for rare reads are dropped.

-- Reports name a message by id alone. That lookup is rare, so it probes
-- the primary key (room_id, id) of the reporter's rooms instead
-- (store::reports): an index on id alone cost every send a second B-tree
-- write (and a BRIN index, tried instead, slowed 32 concurrent inserters
-- by about 9 % on its shared revmap page).
DROP INDEX messages_id_idx;

-- A thread reply's root is checked by the send statement itself, in the
-- same room, while it holds the room's seq row lock, and a message row is
-- never deleted except with its room (messages_keep_logged, V4). The
-- foreign key only added an after-insert trigger to every message.
ALTER TABLE messages DROP CONSTRAINT messages_room_id_thread_root_fkey;
