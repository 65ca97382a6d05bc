"""The desk's HTML pages: views, forms, the template context, the HTTP middleware."""
