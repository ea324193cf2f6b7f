-- Search (`GET /events?q=`) matches an event's name or location anywhere in the text
-- (`ILIKE '%q%'`). No B-tree serves that, and a sequential scan of every event per search let a
-- few clients within their rate limits keep the public reads waiting. Trigram indexes serve it
-- for text of three characters or more, which is why the API asks for at least three.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Without GIN's pending list (`fastupdate`): events are created rarely, and entries waiting in
-- that list until a vacuum are read one by one by every search (a bulk load of 100 000 events
-- made a search take 80 ms instead of 0.3).
CREATE INDEX events_name_trgm_idx ON events USING gin (name gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX events_location_trgm_idx ON events USING gin (location gin_trgm_ops) WITH (fastupdate = off);
