DROP TABLE seats_lost;
