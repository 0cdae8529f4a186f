-- A reserved sign-in try is given back by its id (SQLite's migration 0033).
ALTER TABLE sign_in_failures ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
