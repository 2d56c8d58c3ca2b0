-- Run once by the postgres image on an empty data volume (as the POSTGRES_USER, owner of the new databases).
-- The dagster database is POSTGRES_DB itself; MLflow (tracking + model registry) and the serving
-- request/feedback log store get their own.
CREATE DATABASE mlflow;
CREATE DATABASE platform_logs;
