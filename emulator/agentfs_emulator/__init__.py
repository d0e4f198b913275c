"""agentfs's local AWS emulator: moto plus S3 Files, AgentCore file systems and AWS's hard edges."""
