"""Tests of agent.mail: parsing, bounces, signatures, signals, names and classification."""
