"""Loopback protocol servers: real wire protocols on 127.0.0.1 that the real SDK clients talk to."""
