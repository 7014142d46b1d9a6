"""Question and function words: staff type the customer's question ("客户投诉怎么处理", "how do I refund
a gift card"), and these words need not be in an article to find it. They still count where they match
(a quoted phrase keeps them, and a page that has them ranks a little higher)."""

ENGLISH = frozenset("""
a about am an and any anyone are as at be been being but by can cannot could did do does doing done
for from had has have having he her hers him his how i if in into is it its it's i'm i've me might
must my myself of on or our ours please she should so some someone something tell than that the their
them then there these they this those to too us very was we were what what's when where which while who
whom whose why will with would you your yours yourself hi hello thanks thank
""".split())

# whole words as jieba cuts them, and single characters that are particles
CHINESE = frozenset("""
怎么 怎样 怎么样 怎么办 如何 为什么 为何 什么 啥 哪 哪里 哪儿 哪个 哪些 多久 多少 几 几天 是否 能否 能不能 可不可以
可以 能 会 要 想 应该 该 需要 请问 请 麻烦 帮 帮忙 一下 下 吗 呢 吧 啊 呀 哦 嘛 么 了 的 地 得 着 过 是 在 有 和 与
及 或 或者 我 我们 你 你们 您 他 她 它 他们 她们 这 那 这个 那个 这些 那些 这样 那样 就 都 也 还 又 再 很 太 被 把 给
对 跟 让 从 到 自己 人家 时候 现在 已经 一直 还是 然后 如果 怎 咋 咋办
""".split())


def is_question_word(word: str) -> bool:
    """`word`: an English word (any case) or a Chinese word as jieba cuts it."""
    return word.lower() in ENGLISH or word in CHINESE
