"""The one place the version is written; packaging reads it from here."""

VERSION = "0.1.0"
