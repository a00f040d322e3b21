"""What-if, not shipped: channels_redis with a blocking pop shorter than redis-py's socket
timeout (set through the documented ``CHANNEL_LAYER_BACKEND`` setting).

channels_redis 4.3 waits for messages with ``BZPOPMIN key 5`` (``brpop_timeout = 5``);
redis-py 8 gives every connection ``socket_timeout = 5`` by default. On a channel with no
message for 5 s the read times out a hair before Redis answers, ``receive`` raises
``redis.exceptions.TimeoutError`` and the consumer dies (the socket closes with 1011).
Blocking for 2 s keeps the answer inside the socket timeout.
"""

from channels_redis.core import RedisChannelLayer


class ShortBlockRedisChannelLayer(RedisChannelLayer):
    brpop_timeout = 2
