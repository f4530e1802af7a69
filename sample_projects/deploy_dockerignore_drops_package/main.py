from helpers import greeting

print(greeting("deploy"))
