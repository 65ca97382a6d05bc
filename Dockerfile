FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EXECDESK_DATA_DIR=/var/lib/execdesk
WORKDIR /app
COPY pyproject.toml README.md ./
COPY execdesk ./execdesk
RUN pip install --no-cache-dir -e .
COPY . .
RUN useradd --system --home /app execdesk && mkdir -p /var/lib/execdesk && chown execdesk /var/lib/execdesk
USER execdesk
EXPOSE 8000
