-- Accounts. Passwords are stored only as Argon2id PHC strings.
CREATE TABLE users (
    id            BIGSERIAL   CONSTRAINT users_pkey PRIMARY KEY,
    email         TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    first_name    TEXT        NOT NULL,
    last_name     TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The application lower-cases addresses; the check keeps a hand-written INSERT honest too.
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);

-- One account per address, case-insensitively, even for two sign-ups at the same instant.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
