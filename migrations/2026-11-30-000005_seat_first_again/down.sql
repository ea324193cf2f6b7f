CREATE TABLE seats_lost (
    never BOOLEAN NOT NULL CONSTRAINT fast_path_seat_lost CHECK (never)
);
