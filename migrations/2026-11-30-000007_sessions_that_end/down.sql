DROP TABLE revoked_tokens;
DROP INDEX users_password_changed_at;
ALTER TABLE users
    DROP CONSTRAINT users_token_generation_not_negative,
    DROP COLUMN password_changed_at,
    DROP COLUMN token_generation;
