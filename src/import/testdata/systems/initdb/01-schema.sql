CREATE TABLE IF NOT EXISTS notes (id serial primary key, body text);
