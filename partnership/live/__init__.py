"""Live updates (DESIGN section 5): the events table is the outbox; brokers only say "look".

- broker.py: publishing a notice and listening for notices, in-process or through Redis;
- publishing.py: after a commit that wrote events, one small notice (never personal data);
- relay.py: one per process, reads new event rows when told (and on a timer) and fans out;
- stream.py: the Server-Sent Events stream at /live, filtered for each subscriber.
"""
