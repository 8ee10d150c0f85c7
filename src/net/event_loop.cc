// placeholder until the event loop lands
