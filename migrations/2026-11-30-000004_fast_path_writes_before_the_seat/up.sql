-- The booking fast path writes the booking and its notification before it takes the seat,
-- so that the hot event's row is locked only for the seat's write and the commit. When the
-- seat went in between, the statement must undo its writes: it inserts a row here, which the
-- CHECK refuses, and the violation (named fast_path_seat_lost, matched by the adapter) rolls
-- the statement back. No row is ever stored.
CREATE TABLE seats_lost (
    never BOOLEAN NOT NULL CONSTRAINT fast_path_seat_lost CHECK (never)
);
