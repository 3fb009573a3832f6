"""Answers to the Freedom of Information questions councils are asked."""
