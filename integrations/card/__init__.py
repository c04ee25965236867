"""The card bridge: e-port cards (法人卡 / 操作员卡) in a local PC/SC reader, for web chat."""
