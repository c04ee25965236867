"""What only the WeChat channel says (polite Simplified Chinese); the rest is
integrations/texts.py."""

# Ends the last message of a customer-service quota (outbox.py).
CONTINUE = "如需继续接收消息，请回复任意内容。"
# Under numbered options (options.py): "请回复 1/2/3 选择对应选项。"
PICK_OPTION = "请回复 {numbers} 选择对应选项。"
# Kept for the user's next message in place of an agent's image that the quota did not let
# through (outbox.py): WeChat's temporary media cannot wait for them, the words can.
IMAGE_KEPT = (
    "客服给您发送了一张图片，因微信消息条数限制未能送达。如需查看，请回复告知客服重新发送。"
)
