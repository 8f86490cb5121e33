FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
# Production pins only: the test tools (pytest, Playwright, schemathesis, ruff) stay out.
COPY requirements/production.txt requirements/
RUN pip install --no-cache-dir -r requirements/production.txt

COPY . .
# The app's bytecode is written here, as pip wrote its packages': with PYTHONDONTWRITEBYTECODE
# no process writes it later, and each would compile the app from source when it starts.
RUN useradd --system --uid 1000 workbench \
    && mkdir -p /data \
    && chown workbench /data \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && python -m compileall -q annotations workbench
USER workbench

EXPOSE 8000
CMD ["gunicorn", "-c", "workbench/gunicorn.conf.py", "workbench.wsgi:application"]
