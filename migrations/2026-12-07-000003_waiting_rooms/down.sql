DROP TABLE queue_places;
DROP TABLE waiting_rooms;
