"""A PostgreSQL database of a bench's own: created fresh, dropped at the end."""

import urllib.parse


def _admin_connection(server_url):
    import psycopg2

    url = urllib.parse.urlparse(server_url)
    connection = psycopg2.connect(
        host=url.hostname, port=url.port, user=url.username, dbname=url.path.lstrip("/")
    )
    connection.autocommit = True
    return connection


def create_database(server_url, name):
    """Drop any stale copy, create the database, return the server's version."""
    connection = _admin_connection(server_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def drop_database(server_url, name):
    from django.db import connections

    connections.close_all()
    connection = _admin_connection(server_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        connection.close()
