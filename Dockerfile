# syntax=docker/dockerfile:1
# The bot in a small image: Python slim, the bot's runtime dependencies only (no compiler, no
# test or lint tools, no pip cache), run by an unprivileged user. The articles in knowledge/ are
# baked in; mount a folder over /app/knowledge to serve others. The update journal and the
# index cache live in /var/lib/bot, a volume. See docs/deploy.md.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# The dependencies first, read from pyproject.toml alone, so that a change to the code or to
# the articles rebuilds only the layers after this one.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -m venv /opt/venv \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt
COPY . /app
# Compiled here, once: at run time /app belongs to root and the bot could not write the cache.
RUN /opt/venv/bin/python -m compileall -q /app/bot

FROM python:${PYTHON_VERSION}-slim
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/bot --no-create-home \
        --shell /usr/sbin/nologin bot \
 && mkdir -p /var/lib/bot/state /var/lib/bot/cache \
 && chown -R bot:bot /var/lib/bot
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOT_STATE_DIR=/var/lib/bot/state \
    BOT_CACHE_DIR=/var/lib/bot/cache
WORKDIR /app
VOLUME ["/var/lib/bot"]
USER bot
# Webhook mode listens here (BOT_PORT); long polling opens no port.
EXPOSE 8443
# The Procfile's worker command: long polling, or a webhook when BOT_WEBHOOK_URL is set.
# SIGTERM stops it cleanly, SIGHUP reloads the articles.
CMD ["python", "-m", "bot"]
