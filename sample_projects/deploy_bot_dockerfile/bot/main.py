import mega_sync

from bot.crypto import cipher


def main():
    mega_sync.sync(cipher(b"0" * 16))


if __name__ == "__main__":
    main()
