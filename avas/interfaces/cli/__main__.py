"""python -m avas.interfaces.cli"""

from avas.interfaces.cli import main

main()
