"""A stateful EC2 Query API fake held to botocore's EC2 service model (see ../README.md)."""
