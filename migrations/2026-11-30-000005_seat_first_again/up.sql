-- The fast path takes the seat first again (writing the booking before the seat deadlocked
-- under concurrent books and cancels), so nothing inserts into seats_lost any more.
DROP TABLE seats_lost;
