from django.urls import path

from execdesk.desk.realtime.consumers import DeskConsumer

websocket_urlpatterns = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/orders/<int:order_id>/", DeskConsumer.as_asgi()),
]
