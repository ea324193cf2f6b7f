-- The classes stay as they are: the words they replaced are gone.
ALTER TABLE webhook_attempts
    DROP CONSTRAINT webhook_attempts_error_class,
    ADD CONSTRAINT webhook_attempts_error_length CHECK (length(error) <= 500);
