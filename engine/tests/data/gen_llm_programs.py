"""Generates engine/tests/data/llm_programs.jsonl: LLM-style solution programs and, for each,
the answer Python itself computes (exec of the program, offline, once).

Run from this folder: python3 gen_llm_programs.py llm_programs.jsonl"""
import json, math, sys

P = []
def add(q, code):
    P.append((q, code.strip("\n") + "\n"))

add("Tom saves 15 dollars a week for 12 weeks. How much does he save?", '''
def solution():
    weekly = 15
    weeks = 12
    total = 0
    for week in range(weeks):
        total += weekly
    return total
''')
add("A shop sells items priced 12, 15 and 8 dollars. What is the total?", '''
def solution():
    prices = [12, 15, 8]
    total = sum(prices)
    return total
''')
add("Prices are 4, 9, 16 and 25. What is the average price?", '''
def solution():
    prices = [4, 9, 16, 25]
    average = sum(prices) / len(prices)
    return average
''')
add("A balance of 1000 grows 10% a year. How many years until it reaches 2000?", '''
def solution():
    balance = 1000
    target = 2000
    rate = 0.1
    years = 0
    while balance < target:
        balance = balance * (1 + rate)
        years += 1
    return years
''')
add("Scores are 70, 85, 90 and 65. What is the highest score minus the lowest?", '''
def solution():
    scores = [70, 85, 90, 65]
    highest = max(scores)
    lowest = min(scores)
    return highest - lowest
''')
add("Each of 5 boxes holds 3 more apples than the one before; the first holds 4.", '''
def solution():
    first = 4
    boxes = 5
    extra = 3
    apples = [first + extra * i for i in range(boxes)]
    return sum(apples)
''')
add("A rectangle is 7 by 3. What is its area?", '''
def area(length, width):
    return length * width

def solution():
    length = 7
    width = 3
    result = area(length, width)
    return result
''')
add("Two rooms: 4 by 5 and 6 by 3. Total area?", '''
def solution():
    def area(a, b):
        return a * b
    room1 = area(4, 5)
    room2 = area(6, 3)
    total_area = room1 + room2
    return total_area
''')
add("Jane buys 3 pens at 2 dollars and 4 books at 6 dollars. Total cost?", '''
def solution():
    quantities = [3, 4]
    prices = [2, 6]
    total = 0
    for q, p in zip(quantities, prices):
        total += q * p
    return total
''')
add("A worker earns 20 per hour for 45 hours; hours over 40 pay 1.5x.", '''
def solution():
    rate = 20
    hours = 45
    if hours > 40:
        overtime = hours - 40
        pay = 40 * rate + overtime * rate * 1.5
    else:
        pay = hours * rate
    return pay
''')
add("Count the multiples of 3 from 1 to 30.", '''
def solution():
    count = 0
    for n in range(1, 31):
        if n % 3 == 0:
            count += 1
    return count
''')
add("Sum of the even numbers up to 20.", '''
def solution():
    total = sum(i for i in range(0, 21, 2))
    return total
''')
add("A plant is 5 cm and grows 2 cm a day. After 10 days how tall is it?", '''
def solution():
    height = 5
    growth = 2
    days = 10
    day = 0
    while day < days:
        height += growth
        day += 1
    return height
''')
add("Sales were 120, 95, 130 and 80. How many days beat 100, times 10?", '''
def solution():
    sales = [120, 95, 130, 80]
    good_days = [s for s in sales if s > 100]
    return len(good_days) * 10
''')
add("Factorial of 6.", '''
def factorial(n):
    if n <= 1:
        return 1
    return n * factorial(n - 1)

def solution():
    return factorial(6)
''')
add("A ticket is 12 dollars; groups of 10 or more get 20% off. A group of 14 buys tickets.", '''
def solution():
    price = 12
    group = 14
    discount = 0
    if group >= 10:
        discount = 0.2
    total = price * group * (1 - discount)
    return total
''')
add("Running totals of 3, 5, 7: what is the last running total?", '''
def solution():
    numbers = [3, 5, 7]
    running = []
    total = 0
    for x in numbers:
        total += x
        running.append(total)
    return running[-1]
''')
add("Double each of 2, 4, 6 and add them.", '''
def solution():
    values = [2, 4, 6]
    doubled = []
    for v in values:
        doubled.append(v * 2)
    result = sum(doubled)
    return result
''')
add("A car travels 60 km/h for 2.5 hours and 80 km/h for 1.5 hours. Distance?", '''
def solution():
    legs = [(60, 2.5), (80, 1.5)]
    distance = 0
    for speed, time in legs:
        distance += speed * time
    return distance
''')
add("Mia reads 10 pages the first day and 5 more each day than the day before, for 4 days.", '''
def solution():
    pages = 10
    increase = 5
    total_pages = 0
    for day in range(4):
        total_pages += pages
        pages += increase
    return total_pages
''')
add("Bob has 100 dollars and spends 15 a day until he has less than 20. How many days?", '''
def solution():
    money = 100
    spend = 15
    days = 0
    while money >= 20:
        money -= spend
        days += 1
    return days
''')
add("The 3rd item of 5, 10, 15, 20 times 2.", '''
def solution():
    items = [5, 10, 15, 20]
    third = items[2]
    return third * 2
''')
add("Cookies: 24 in a batch, 3 batches, 10 eaten.", '''
def solution():
    per_batch = 24
    batches = 3
    eaten = 10
    cookies = per_batch * batches
    cookies -= eaten
    return cookies
''')
add("A number is doubled 5 times starting at 3.", '''
def solution():
    value = 3
    for _ in range(5):
        value *= 2
    return value
''')
add("Tax of 8% on items 20, 35 and 45.", '''
def total_with_tax(amount, rate=0.08):
    return amount * (1 + rate)

def solution():
    items = [20, 35, 45]
    subtotal = sum(items)
    total = total_with_tax(subtotal)
    return round(total, 2)
''')
add("Hourly wages 15, 18, 22 for 8 hours each: total of the two largest.", '''
def solution():
    wages = [15, 18, 22]
    daily = [w * 8 for w in wages]
    top_two = sorted(daily, reverse=True)[:2]
    return sum(top_two)
''')
add("Fibonacci: the 10th number.", '''
def solution():
    a, b = 0, 1
    for _ in range(10):
        a, b = b, a + b
    return a
''')
add("Lily has 3 times as many stickers as Max, who has 12. Together?", '''
def solution():
    max_stickers = 12
    lily_stickers = 3 * max_stickers
    total = max_stickers + lily_stickers
    print(total)
    return total
''')
add("Find the first number over 50 in 12, 47, 53, 60.", '''
def solution():
    numbers = [12, 47, 53, 60]
    found = 0
    for n in numbers:
        if n > 50:
            found = n
            break
    return found
''')
add("Sum 1..10 skipping 5.", '''
def solution():
    total = 0
    for i in range(1, 11):
        if i == 5:
            continue
        total += i
    return total
''')
add("A tank of 500 liters loses 4% each hour. How much is left after 3 hours?", '''
def solution():
    water = 500
    loss_rate = 0.04
    hours = 3
    for hour in range(hours):
        water -= water * loss_rate
    return water
''')
add("Class sizes 22, 25, 19, 30: how many students in classes over 20?", '''
def solution():
    classes = [22, 25, 19, 30]
    big = 0
    for size in classes:
        if size > 20:
            big += size
    return big
''')
add("An item costs 40; if the price is over 30 there is a 5 dollar discount.", '''
def solution():
    price = 40
    final_price = None
    if price > 30:
        final_price = price - 5
    else:
        final_price = price
    return final_price
''')
add("Total legs: 3 dogs, 2 birds, 4 cats.", '''
def solution():
    counts = [3, 2, 4]
    legs = [4, 2, 4]
    total_legs = sum(c * l for c, l in zip(counts, legs))
    return total_legs
''')
add("Grades 80, 90, 100 weighted 0.2, 0.3, 0.5.", '''
def weighted_average(values, weights):
    total = 0
    for i in range(len(values)):
        total += values[i] * weights[i]
    return total

def solution():
    grades = [80, 90, 100]
    weights = [0.2, 0.3, 0.5]
    return weighted_average(grades, weights)
''')
add("A staircase: row k has k blocks, for 8 rows.", '''
def solution():
    rows = 8
    blocks = sum([k for k in range(1, rows + 1)])
    return blocks
''')
add("Sam walks 2 km on weekdays and 5 km on weekend days over one week.", '''
def solution():
    total = 0
    for day in range(7):
        if day < 5:
            distance = 2
        else:
            distance = 5
        total += distance
    return total
''')
add("Ana earns 50 a day; she saves half on days she earns over 40 for 6 days.", '''
def solution():
    earnings = 50
    days = 6
    saved = 0
    for d in range(days):
        if earnings > 40:
            saved += earnings / 2
        else:
            saved += earnings / 4
    return saved
''')
add("Minimum of the per-unit prices 3 for 12, 5 for 17.5, 2 for 9.", '''
def solution():
    packs = [(3, 12), (5, 17.5), (2, 9)]
    unit_prices = [price / count for count, price in packs]
    return min(unit_prices)
''')
add("Population 2000 grows by 150 a year; how many people after 4 years?", '''
population = 2000
growth = 150
years = 4
for year in range(years):
    population = population + growth
answer = population
''')
add("The last two of 4, 8, 15, 16, 23, 42 added.", '''
def solution():
    nums = [4, 8, 15, 16, 23, 42]
    last_two = nums[-2:]
    return sum(last_two)
''')
add("A pool fills at 30 L/min; how many minutes to reach 450 L, plus a 5 min check?", '''
def minutes_to_fill(capacity, rate):
    minutes = 0
    filled = 0
    while filled < capacity:
        filled += rate
        minutes += 1
    return minutes

def solution():
    capacity = 450
    rate = 30
    check = 5
    return minutes_to_fill(capacity, rate) + check
''')
add("Sum of squares of 1..5.", '''
def square(x):
    return x * x

def solution():
    total = 0
    for i in range(1, 6):
        total += square(i)
    return total
''')
add("Bags of 6, 8 and 10 marbles; 2 marbles are lost from each bag.", '''
def solution():
    bags = [6, 8, 10]
    for i in range(len(bags)):
        bags[i] -= 2
    return sum(bags)
''')
add("Enumerate: position-weighted sum of 5, 7, 9.", '''
def solution():
    values = [5, 7, 9]
    total = 0
    for index, value in enumerate(values, start=1):
        total += index * value
    return total
''')
add("Max of 3 and 8, plus the count of items over 3 in 1, 4, 6.", '''
def solution():
    a = 3
    b = 8
    biggest = max(a, b)
    items = [1, 4, 6]
    over = len([x for x in items if x > a])
    return biggest + over
''')
add("A runner's lap times 62, 58, 65, 60: total minutes (divide seconds by 60).", '''
def solution():
    laps = [62, 58, 65, 60]
    total_seconds = 0
    for lap in laps:
        total_seconds += lap
    minutes = total_seconds / 60
    return minutes
''')
add("Nested loop: 3 shelves with 4 rows of 5 books.", '''
def solution():
    shelves = 3
    rows = 4
    per_row = 5
    books = 0
    for s in range(shelves):
        for r in range(rows):
            books += per_row
    return books
''')
add("Discount tiers: order of 250 gets 15% above 200, 10% above 100.", '''
def discount_rate(amount):
    if amount > 200:
        return 0.15
    elif amount > 100:
        return 0.10
    return 0

def solution():
    order = 250
    rate = discount_rate(order)
    final = order * (1 - rate)
    return final
''')
add("Guests: 8 adults and 5 children; adults eat 3 slices, children 2; pizzas have 8 slices.", '''
import math

def solution():
    adults = 8
    children = 5
    slices = adults * 3 + children * 2
    pizzas = math.ceil(slices / 8)
    return pizzas
''')
add("Savings of 200 plus 25 a month; after how many months is it over 400?", '''
def solution():
    savings = 200
    monthly = 25
    months = 0
    while True:
        if savings > 400:
            break
        savings += monthly
        months += 1
    return months
''')
add("Total of the prices after removing the cheapest of 7, 3, 9.", '''
def solution():
    prices = [7, 3, 9]
    cheapest = min(prices)
    total = sum(prices) - cheapest
    return total
''')

add("Shipping: orders over 100 ship free, over 50 cost 5; an order of 120 plus shipping.", '''
def solution():
    order = 120
    if order > 100:
        shipping = 0
    elif order > 50:
        shipping = 5
    total = order + shipping
    return total
''')
add("The first year a 500 investment growing 20% a year passes 1000, counted from 2020.", '''
def first_year_over(amount, rate, goal, start):
    year = start
    while True:
        if amount > goal:
            return year
        amount = amount * (1 + rate)
        year += 1

def solution():
    return first_year_over(500, 0.2, 1000, 2020)
''')
add("A bakery sells 30 loaves on weekdays and 45 on Saturday; closed Sunday. Loaves in 2 weeks?", '''
def solution():
    weekday_loaves = 30
    saturday_loaves = 45
    schedule = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    total = 0
    for week in range(2):
        for day in range(len(schedule)):
            if day < 5:
                total += weekday_loaves
            elif day == 5:
                total += saturday_loaves
    return total
''')

out = []
for q, code in P:
    env = {}
    exec(code, env)
    if "solution" in env:
        ans = env["solution"]()
    else:
        ans = env["answer"]
    out.append({"input": q, "code": code, "target": float(ans)})
with open(sys.argv[1], "w") as f:
    for r in out:
        f.write(json.dumps(r) + "\n")
print(len(out), "programs")
