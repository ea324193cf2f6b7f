DROP TRIGGER notifications_fan_out ON notifications;
DROP FUNCTION notifications_fan_out();
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE notifications;
