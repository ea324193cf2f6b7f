-- Sessions that end (docs/ARCHITECTURE.md, "Sessions"). A token names its user's token
-- generation; changing the password moves it on, so every token issued before stops acting.
-- `password_changed_at` lets an instance load only the changes recent enough to matter (a token
-- lives at most JWT_TTL).
ALTER TABLE users
    ADD COLUMN token_generation    INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN password_changed_at TIMESTAMPTZ,
    ADD CONSTRAINT users_token_generation_not_negative CHECK (token_generation >= 0);

CREATE INDEX users_password_changed_at ON users (password_changed_at) WHERE password_changed_at IS NOT NULL;

-- A logout: one token, by its id, kept until it would have expired anyway (then swept).
CREATE TABLE revoked_tokens (
    jti        UUID        CONSTRAINT revoked_tokens_pkey PRIMARY KEY,
    user_id    BIGINT      NOT NULL CONSTRAINT revoked_tokens_user_fkey REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
