-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d), as
-- POSTGRES_USER: one database per component, each owned by that user. `caredesk init` migrates them.
CREATE DATABASE caredesk_gateway;
CREATE DATABASE caredesk_customers;
CREATE DATABASE caredesk_cases;
CREATE DATABASE caredesk_notifications;
