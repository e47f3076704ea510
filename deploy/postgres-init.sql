-- docker-compose.yml: the postgres image creates the gateway's database (POSTGRES_DB) and runs
-- this once, on an empty volume, for Rasa's tracker store.
CREATE DATABASE rasa_tracker OWNER switchboard;
