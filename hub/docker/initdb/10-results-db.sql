-- The credential service's results and credentials database, next to the hub's.
CREATE DATABASE northlab_results OWNER northlab;
