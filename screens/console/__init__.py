"""The reception console: staff log in with a PIN; what they see depends on their role."""
