-- Accounts. Passwords are stored only as Argon2id PHC strings.
CREATE TABLE users (
    id            BIGSERIAL   CONSTRAINT users_pkey PRIMARY KEY,
    email         TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    first_name    TEXT        NOT NULL,
    last_name     TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Addresses are stored lower-cased (the application does it; the check keeps a hand-written
    -- INSERT honest too), so this plain unique constraint is case-insensitive: one account per
    -- address even for two sign-ups at the same instant. Being on `email` itself, its index also
    -- serves login's `WHERE email = $1`, which an index on `lower(email)` would not.
    CONSTRAINT users_email_lower CHECK (email = lower(email)),
    CONSTRAINT users_email_unique UNIQUE (email)
);
